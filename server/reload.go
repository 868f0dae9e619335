package server

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stanceproject/stance/linear"
)

// metrics are the service's own series beside the per-RPC ones of
// go-grpc-middleware. A nil *metrics records nothing.
type metrics struct {
	predictions *prometheus.CounterVec
	reloads     *prometheus.CounterVec
	modelInfo   *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		predictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stance_predictions_total",
			Help: "Predicted labels, by label; abstentions and unsupported languages have their own label values.",
		}, []string{"label"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stance_model_reloads_total",
			Help: "Model reloads by result (ok, error).",
		}, []string{"result"}),
		modelInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "stance_model_info",
			Help: "The model in use: 1 for its name and version.",
		}, []string{"name", "version"}),
	}
	for _, c := range []prometheus.Collector{m.predictions, m.reloads, m.modelInfo} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) predicted(labels []string, abstained, unsupported bool) {
	if m == nil {
		return
	}
	switch {
	case unsupported:
		m.predictions.WithLabelValues("(unsupported_language)").Inc()
	case abstained:
		m.predictions.WithLabelValues("(abstained)").Inc()
	}
	for _, l := range labels {
		m.predictions.WithLabelValues(l).Inc()
	}
}

func (m *metrics) setModel(old, cur *linear.Model) {
	if m == nil {
		return
	}
	if old != nil {
		o := old.ManifestRef()
		m.modelInfo.DeleteLabelValues(o.Name, o.Version)
	}
	c := cur.ManifestRef()
	m.modelInfo.WithLabelValues(c.Name, c.Version).Set(1)
}

// Reload loads a model with load, checks that it classifies, and swaps it
// in; calls in flight finish on the model they started with. A model that
// fails to load or to classify is rejected with a log line and a metric,
// and the current model keeps serving.
func (s *Server) Reload(load func() (*linear.Model, error)) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	old := s.eng.Model()
	m, err := load()
	if err == nil {
		err = warm(m)
	}
	if err != nil {
		if s.metrics != nil {
			s.metrics.reloads.WithLabelValues("error").Inc()
		}
		s.log.Warn("model reload rejected; the current model keeps serving", "err", err, "version", old.ManifestRef().Version)
		return err
	}
	s.eng.Swap(m)
	if s.metrics != nil {
		s.metrics.reloads.WithLabelValues("ok").Inc()
	}
	s.metrics.setModel(old, m)
	s.log.Info("model reloaded", "name", m.ManifestRef().Name, "version", m.ManifestRef().Version, "previous", old.ManifestRef().Version)
	return nil
}

// warmTexts exercise a model before it serves.
var warmTexts = []string{
	"The two countries should work together for a multipolar world and oppose hegemony.",
	"The ministry said in a statement on Tuesday that talks would resume next week.",
}

// warm classifies warmTexts with m, so that a model that loads but cannot
// classify is caught before it serves, and caches are filled.
func warm(m *linear.Model) error {
	for _, t := range warmTexts {
		if _, err := m.Predict(t, ""); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		if _, err := m.Explain(t, "", []int{0}); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	return nil
}
