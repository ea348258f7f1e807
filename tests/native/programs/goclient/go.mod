module ctapiclient

go 1.19
