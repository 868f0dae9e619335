package server

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stanceproject/stance"
)

// toStatus maps a domain error to a gRPC status. It is the only place
// where that mapping lives: validation is InvalidArgument and an unknown
// model NotFound, each with its message; context errors keep their codes,
// and anything else is Internal with a fixed message while the detail goes
// to the log.
func toStatus(ctx context.Context, log *slog.Logger, err error) *status.Status {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err)
	}
	var se *stance.Error
	if errors.As(err, &se) {
		switch se.Code {
		case stance.EInvalid:
			return status.New(codes.InvalidArgument, se.Message)
		case stance.EUnavailable:
			return status.New(codes.Unavailable, se.Message)
		case stance.ENotFound:
			return status.New(codes.NotFound, se.Message)
		}
	}
	log.ErrorContext(ctx, "internal error", "err", err)
	return status.New(codes.Internal, "internal error")
}
