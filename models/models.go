// Package models holds the trained model artifacts that ship inside the
// binaries.
package models

import "embed"

// Default is the file system of the default model; its directory is
// "default".
//
//go:embed default
var Default embed.FS
