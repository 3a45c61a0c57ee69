package device

// Flag names one way a device is not fully configured. The Command Center
// surfaces flagged devices so a manager can finish them before calls flow.
// String values are stable: they go to the API and the dashboard.
type Flag string

// Incomplete-configuration flags, in the order Incomplete reports them.
const (
	// FlagKindUnset: the device has no valid kind.
	FlagKindUnset Flag = "kind_unset"
	// FlagCampaignWithoutAssignment: an active campaign device has no open
	// campaign assignment, so its new Leads would carry no Lead Source.
	FlagCampaignWithoutAssignment Flag = "campaign_without_assignment"
	// FlagSalesRepWithoutRep: a sales-rep device is not assigned to a rep, so
	// its callbacks are credited to nobody.
	FlagSalesRepWithoutRep Flag = "sales_rep_without_rep"
	// FlagRepWithoutCRMUser: a campaign device's rep is not mapped to a CRM
	// user, so records created from its calls get no owner.
	FlagRepWithoutCRMUser Flag = "rep_without_crm_user"
)

// String returns the flag's stable name.
func (f Flag) String() string { return string(f) }

// Description returns a short English explanation of the flag for people.
func (f Flag) Description() string {
	switch f {
	case FlagKindUnset:
		return "Device kind is not set"
	case FlagCampaignWithoutAssignment:
		return "Campaign phone has no active campaign assignment"
	case FlagSalesRepWithoutRep:
		return "Sales-rep phone is not assigned to a rep"
	case FlagRepWithoutCRMUser:
		return "Campaign phone's rep is not mapped to a CRM user"
	}
	return "Unknown configuration problem"
}

// Incomplete returns the configuration problems of an active device, in the
// order the Flag constants are declared, or nil when there are none.
//
// Deactivated devices are never flagged: they are kept for history and
// there is nothing left to configure. A campaign device without a rep is
// complete (campaign phones need no rep; records then get no owner). The
// rep-to-CRM-user check applies to campaign devices only, because the
// mapping sets the owner of CRM records and only campaign devices' calls are
// written to the CRM; a sales-rep device's calls stay local.
func Incomplete(info Info) []Flag {
	if !info.Active {
		return nil
	}
	switch info.Kind {
	case KindCampaign:
		var flags []Flag
		if !info.HasOpenAssignment {
			flags = append(flags, FlagCampaignWithoutAssignment)
		}
		if info.RepID != "" && !info.RepHasCRMUser {
			flags = append(flags, FlagRepWithoutCRMUser)
		}
		return flags
	case KindSalesRep:
		if info.RepID == "" {
			return []Flag{FlagSalesRepWithoutRep}
		}
		return nil
	default:
		return []Flag{FlagKindUnset}
	}
}
