module tmplkeys

go 1.19
