package httpapi_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/httpapi"
)

// openAPIPath is the OpenAPI path of a ServeMux pattern's path: "/{$}" (exactly "/") is "/", and
// a subtree pattern ("/ui/") is documented with a trailing {asset} parameter.
func openAPIPath(p string) string {
	switch {
	case p == "/{$}":
		return "/"
	case strings.HasSuffix(p, "/"):
		return p + "{asset}"
	}
	return p
}

type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		Access     string `json:"x-leadcall-access"`
		Parameters []struct {
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
		Responses map[string]any `json:"responses"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]any `json:"schemas"`
	} `json:"components"`
}

// TestOpenAPIMatchesRoutes: the document served at GET /v1/openapi.json describes exactly the
// server's routes, each with the access level the server enforces.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do("GET", "/v1/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Contains(t, r.header.Get("Content-Type"), "application/json")
	require.Equal(t, httpapi.OpenAPI(), r.body)
	var doc openAPIDoc
	require.NoError(t, json.Unmarshal(r.body, &doc))
	require.Equal(t, "3.1.0", doc.OpenAPI)

	documented := map[string]string{} // "METHOD path" -> access
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" "+path] = op.Access
		}
	}
	served := map[string]string{}
	for _, rt := range e.srv.Routes() {
		served[rt.Method+" "+openAPIPath(rt.Path)] = string(rt.Access)
	}
	var missing, extra, wrongAccess []string
	for k, access := range served {
		got, ok := documented[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case got != access:
			wrongAccess = append(wrongAccess, k+": documented "+got+", served "+access)
		}
	}
	for k := range documented {
		if _, ok := served[k]; !ok {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	slices.Sort(wrongAccess)
	require.Empty(t, missing, "routes the OpenAPI document (httpapi/openapi.json) lacks")
	require.Empty(t, extra, "operations in the OpenAPI document that are not routes")
	require.Empty(t, wrongAccess, "x-leadcall-access differs from the route's access")
}

// TestOpenAPIIsWellFormed: every path parameter is declared, every operation has responses,
// and every $ref names a schema of the document.
func TestOpenAPIIsWellFormed(t *testing.T) {
	t.Parallel()
	var doc openAPIDoc
	require.NoError(t, json.Unmarshal(httpapi.OpenAPI(), &doc))
	param := regexp.MustCompile(`\{([a-z_]+)\}`)
	for path, ops := range doc.Paths {
		for method, op := range ops {
			require.NotEmpty(t, op.Responses, "%s %s", method, path)
			for _, m := range param.FindAllStringSubmatch(path, -1) {
				require.True(t, slices.ContainsFunc(op.Parameters, func(p struct {
					Name string `json:"name"`
					In   string `json:"in"`
				}) bool {
					return p.Name == m[1] && p.In == "path"
				}), "%s %s does not declare the path parameter %s", method, path, m[1])
			}
		}
	}
	refs := regexp.MustCompile(`"\$ref":\s*"#/components/schemas/([A-Za-z]+)"`).FindAllStringSubmatch(string(httpapi.OpenAPI()), -1)
	require.NotEmpty(t, refs)
	for _, m := range refs {
		require.Contains(t, doc.Components.Schemas, m[1], "dangling $ref")
	}
}
