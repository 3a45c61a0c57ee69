package leadcall

import "time"

// RecoveryWindow returns the Engine's Config.RecoveryWindow, defaults applied, so that code
// building recovery cases on its own (reports, exports) sees the same cases as the Engine.
func (e *Engine) RecoveryWindow() time.Duration { return e.cfg.RecoveryWindow }
