// Command ctrender is the reference for tests/test_render_vs_go.py: it executes templates
// with Go's own text/template the way consul-template (and so Vault Agent) does:
// missingkey=zero, Execute(w, nil), `secret` returning a *Secret shaped like
// consul-template's dependency.Secret decoded from Vault's JSON with UseNumber (as
// Vault's client decodes), and `env` answering from a given environment ("" when unset).
//
// Input on stdin: a JSON array of {"template": T, "secrets": {PATH: RESPONSE}, "env": {NAME: V}}
// where RESPONSE is what `vault kv get -format=json` prints. Output on stdout: a JSON array,
// one {"output_hex": H} (the rendered bytes, hex) or {"error": E} per input.
package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"text/template"
)

// Secret mirrors consul-template's dependency.Secret field for field.
type Secret struct {
	RequestID     string                 `json:"request_id"`
	LeaseID       string                 `json:"lease_id"`
	LeaseDuration int                    `json:"lease_duration"`
	Renewable     bool                   `json:"renewable"`
	Data          map[string]interface{} `json:"data"`
	Warnings      []string               `json:"warnings"`
	Auth          *struct{}              `json:"-"`
	WrapInfo      *struct{}              `json:"-"`
}

type job struct {
	Template string                     `json:"template"`
	Secrets  map[string]json.RawMessage `json:"secrets"`
	Env      map[string]string          `json:"env"`
}

type result struct {
	OutputHex *string `json:"output_hex,omitempty"`
	Error     string  `json:"error,omitempty"`
}

func main() {
	var jobs []job
	if err := json.NewDecoder(os.Stdin).Decode(&jobs); err != nil {
		fmt.Fprintln(os.Stderr, "ctrender: reading stdin:", err)
		os.Exit(2)
	}
	results := make([]result, 0, len(jobs))
	for _, j := range jobs {
		results = append(results, run(j))
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "ctrender: writing stdout:", err)
		os.Exit(2)
	}
}

func decodeSecret(raw json.RawMessage) (*Secret, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var s Secret
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	return &s, nil
}

func run(j job) result {
	funcs := template.FuncMap{
		"env": func(name string) (string, error) {
			return j.Env[name], nil
		},
		"secret": func(path string, rest ...string) (*Secret, error) {
			if len(rest) > 0 {
				return nil, fmt.Errorf("writes are not modelled")
			}
			raw, ok := j.Secrets[path]
			if !ok {
				return nil, fmt.Errorf("no secret at %s", path)
			}
			return decodeSecret(raw)
		},
	}
	tmpl, err := template.New("t").Funcs(funcs).Option("missingkey=zero").Parse(j.Template)
	if err != nil {
		return result{Error: err.Error()}
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, nil); err != nil {
		return result{Error: err.Error()}
	}
	out := hex.EncodeToString(b.Bytes())
	return result{OutputHex: &out}
}
