// Command tmplkeys is the reference for tests/test_template_vs_go.py: it parses
// templates with Go's own text/template/parse (as consul-template and Vault Agent
// do) and lists every Vault key reference with its line.
//
// Input on stdin: a JSON array of template texts. Output on stdout: a JSON array,
// one {"error": "...", "refs": [{"key": K, "line": N}, ...]} per input.
//
// A reference is a field chain Data.data.KEY (on dot, a $variable or a chain like
// (secret "p").Data.data.KEY) or `index <Data.data> "KEY"`, as in
// pytest_envssot.readers.template.vault_references.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/template/parse"
)

type ref struct {
	Key  string `json:"key"`
	Line int    `json:"line"`
}

type result struct {
	Error string `json:"error,omitempty"`
	Refs  []ref  `json:"refs"`
}

func main() {
	var texts []string
	if err := json.NewDecoder(os.Stdin).Decode(&texts); err != nil {
		fmt.Fprintln(os.Stderr, "tmplkeys: reading stdin:", err)
		os.Exit(2)
	}
	results := make([]result, 0, len(texts))
	for _, text := range texts {
		results = append(results, scan(text))
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "tmplkeys: writing stdout:", err)
		os.Exit(2)
	}
}

func scan(text string) result {
	// A name no {{define}} can collide with.
	tree := parse.New("\x00root")
	// consul-template registers many functions; the reader does not check names either.
	tree.Mode = parse.SkipFuncCheck | parse.ParseComments
	trees := map[string]*parse.Tree{}
	if _, err := tree.Parse(text, "", "", trees); err != nil {
		return result{Error: err.Error(), Refs: []ref{}}
	}
	names := make([]string, 0, len(trees))
	for name := range trees {
		names = append(names, name)
	}
	sort.Strings(names)
	w := walker{text: text, refs: []ref{}}
	for _, name := range names {
		w.node(trees[name].Root)
	}
	return result{Refs: w.refs}
}

type walker struct {
	text string
	refs []ref
}

func (w *walker) line(pos parse.Pos) int {
	return strings.Count(w.text[:int(pos)], "\n") + 1
}

func vaultKey(fields []string) (string, bool) {
	if len(fields) >= 3 && fields[0] == "Data" && fields[1] == "data" {
		return fields[2], true
	}
	return "", false
}

// fieldsOf returns the field names an argument reads, without a leading $variable.
func fieldsOf(n parse.Node) ([]string, bool) {
	switch n := n.(type) {
	case *parse.FieldNode:
		return n.Ident, true
	case *parse.VariableNode:
		return n.Ident[1:], true
	case *parse.ChainNode:
		return n.Field, true
	}
	return nil, false
}

func (w *walker) node(n parse.Node) {
	switch n := n.(type) {
	case nil:
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, child := range n.Nodes {
			w.node(child)
		}
	case *parse.ActionNode:
		w.pipe(n.Pipe)
	case *parse.IfNode:
		w.branch(&n.BranchNode)
	case *parse.WithNode:
		w.branch(&n.BranchNode)
	case *parse.RangeNode:
		w.branch(&n.BranchNode)
	case *parse.TemplateNode:
		w.pipe(n.Pipe)
	}
}

func (w *walker) branch(b *parse.BranchNode) {
	w.pipe(b.Pipe)
	w.node(b.List)
	w.node(b.ElseList)
}

func (w *walker) pipe(p *parse.PipeNode) {
	if p == nil {
		return
	}
	for _, cmd := range p.Cmds {
		w.command(cmd)
	}
}

func (w *walker) command(cmd *parse.CommandNode) {
	args := cmd.Args
	if len(args) >= 3 {
		if id, ok := args[0].(*parse.IdentifierNode); ok && id.Ident == "index" {
			fields, ok := fieldsOf(args[1])
			str, isStr := args[2].(*parse.StringNode)
			if ok && isStr && len(fields) == 2 && fields[0] == "Data" && fields[1] == "data" {
				w.refs = append(w.refs, ref{str.Text, w.line(str.Position())})
			}
		}
	}
	for _, arg := range args {
		w.operand(arg)
	}
}

func (w *walker) operand(n parse.Node) {
	if fields, ok := fieldsOf(n); ok {
		if key, ok := vaultKey(fields); ok {
			w.refs = append(w.refs, ref{key, w.line(n.Position())})
		}
	}
	switch n := n.(type) {
	case *parse.ChainNode:
		w.operand(n.Node)
	case *parse.PipeNode:
		w.pipe(n)
	}
}
