"""An example nnconform adapter shipped by a third-party package (see the package's README)."""
