// Package server adapts the root package's stance.Models to the
// stance.v1 gRPC API:
// handlers, the mapping of domain errors to status codes, health with
// readiness, reflection, and the interceptor chain (metrics, logging,
// panic recovery).
package server
