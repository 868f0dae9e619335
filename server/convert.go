package server

import (
	"github.com/stanceproject/stance"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
)

func fromProtoRequest(r *stancev1.ClassifyRequest) stance.Request {
	return stance.Request{Text: r.GetText(), Target: r.GetTarget(), Explain: r.GetExplain(), Model: r.GetModel()}
}
