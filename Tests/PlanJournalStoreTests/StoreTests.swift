// Store tests
