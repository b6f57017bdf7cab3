module ctrender

go 1.19
