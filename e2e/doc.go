// Package e2e holds the end-to-end reliability tests of the stance service:
// they build cmd/stanced, run it as a separate process on loopback ports and
// drive it through the client package the way an operator and a caller
// would — TLS and mutual TLS, bearer tokens, credential rotation and hot
// model reloads on SIGHUP and --watch, failover across three backends with
// round-robin balancing and health checking, graceful drain on SIGTERM —
// plus an in-process soak test that reloads models under load and checks
// for leaked goroutines and memory growth. The package has no non-test
// code; run it with
// `go test -race ./e2e` (add -short to skip the soak test; STANCE_SOAK sets
// its duration, 45s by default). Under -race the stanced binary is built with
// -race too, and a data race it reports fails the test.
package e2e
