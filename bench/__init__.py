"""newswire's benchmark (issues 7 and 13): `make bench` writes bench/README.md."""
