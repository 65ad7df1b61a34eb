"""newswire's benchmark (issue 7): `make bench` runs every figure and writes bench/README.md."""
