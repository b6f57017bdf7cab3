// Command goquote is the reference for tests/test_quoting_vs_go.py and the generator of
// pytest_envssot/data/go_isprint.txt.
//
//	goquote          stdin: JSON array of hex-encoded byte strings (a Go string may hold any
//	                 bytes); stdout: JSON array of strconv.Quote of each, i.e. what
//	                 `printf "%q"` renders in a Vault Agent template.
//	goquote -table   stdout: the ranges of code points strconv.IsPrint accepts, one
//	                 "START END" (hex, inclusive) per line, after a header naming the Go
//	                 version and its Unicode tables.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"unicode"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-table" {
		table()
		return
	}
	var in []string
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := make([]string, len(in))
	for i, h := range in {
		b, err := hex.DecodeString(h)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		out[i] = fmt.Sprintf("%q", string(b))
		if out[i] != strconv.Quote(string(b)) {
			fmt.Fprintln(os.Stderr, "fmt %q differs from strconv.Quote")
			os.Exit(3)
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(2)
	}
}

func table() {
	fmt.Printf("# strconv.IsPrint ranges from %s (unicode.Version %s): START END, hex, inclusive\n",
		runtime.Version(), unicode.Version)
	start := -1
	for r := 0; r <= unicode.MaxRune+1; r++ {
		printable := r <= unicode.MaxRune && strconv.IsPrint(rune(r))
		if printable && start < 0 {
			start = r
		} else if !printable && start >= 0 {
			fmt.Printf("%x %x\n", start, r-1)
			start = -1
		}
	}
}
