"""What the tests, the benchmark and the mk/ scripts share: the template loader and the fake AWS
environment. Not shipped: the package is layers/newswire, and nothing here is runtime code."""
