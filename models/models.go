// Package models holds the trained model artifacts that ship inside the
// binaries.
package models

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/stanceproject/stance/linear"
)

// Default is the file system of the default model; its directory is
// "default".
//
//go:embed default
var Default embed.FS

// LoadDefault loads the default model.
func LoadDefault() (*linear.Model, error) {
	sub, err := fs.Sub(Default, "default")
	if err != nil {
		return nil, err
	}
	m, err := linear.Load(sub)
	if err != nil {
		return nil, fmt.Errorf("load embedded default model: %w", err)
	}
	return m, nil
}

// Load loads the model in dir, or the default model when dir is "".
func Load(dir string) (*linear.Model, error) {
	if dir == "" {
		return LoadDefault()
	}
	return linear.LoadDir(dir)
}

// DefaultTokenizer returns the default model's tokenizer.json, which
// models trained here share.
func DefaultTokenizer() ([]byte, error) {
	return Default.ReadFile("default/" + linear.TokenizerFile)
}
