package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stanceproject/stance"
)

// metrics are the service's own series beside the per-RPC ones of
// go-grpc-middleware, each by served model. A nil *metrics records nothing.
type metrics struct {
	predictions *prometheus.CounterVec
	// abstained, unsupported and topScore show drift: traffic that stops
	// looking like the training data raises the first two and lowers the
	// top scores.
	abstained   *prometheus.CounterVec
	unsupported *prometheus.CounterVec
	topScore    *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, models stance.Models) (*metrics, error) {
	m := &metrics{
		predictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stance_predictions_total",
			Help: "Predicted labels, by model and label; abstentions and unsupported languages have their own label values.",
		}, []string{"model", "label"}),
		abstained: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stance_abstained_total",
			Help: "Answers in which no label reached its threshold, by model.",
		}, []string{"model"}),
		unsupported: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stance_unsupported_language_total",
			Help: "Texts in a language the model does not read, by model.",
		}, []string{"model"}),
		topScore: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "stance_top_score",
			Help:    "The probability of the top label of each answer in a supported language, by model.",
			Buckets: prometheus.LinearBuckets(0.1, 0.1, 10),
		}, []string{"model"}),
	}
	served, err := models.List(context.Background())
	if err != nil {
		return nil, err
	}
	for _, s := range served { // every model's series exist from the start, so that rates are never missing
		m.abstained.WithLabelValues(s.Name)
		m.unsupported.WithLabelValues(s.Name)
		m.topScore.WithLabelValues(s.Name)
	}
	for _, c := range []prometheus.Collector{m.predictions, m.abstained, m.unsupported, m.topScore, modelCollector{models}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// predicted records the answer r of the served model named model.
func (m *metrics) predicted(model string, r stance.Result) {
	if m == nil {
		return
	}
	switch {
	case r.Unsupported:
		m.predictions.WithLabelValues(model, "(unsupported_language)").Inc()
		m.unsupported.WithLabelValues(model).Inc()
	case r.Abstained:
		m.predictions.WithLabelValues(model, "(abstained)").Inc()
		m.abstained.WithLabelValues(model).Inc()
	}
	for _, l := range r.Labels {
		m.predictions.WithLabelValues(model, l).Inc()
	}
	for _, s := range r.Scores {
		if s.Label == r.Top {
			m.topScore.WithLabelValues(model).Observe(s.Score)
		}
	}
}

var (
	modelInfoDesc = prometheus.NewDesc("stance_model_info", "The models served: 1 for each served name with its model's name and version.",
		[]string{"model", "name", "version"}, nil)
	reloadsDesc = prometheus.NewDesc("stance_model_reloads_total", "Model reloads by served model and result (ok, error); a rejected reload leaves the previous version serving.",
		[]string{"model", "result"}, nil)
)

// modelCollector reads the served models at each scrape, so that the
// series follow reloads without the engine knowing of metrics.
type modelCollector struct{ models stance.Models }

func (c modelCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- modelInfoDesc
	ch <- reloadsDesc
}

func (c modelCollector) Collect(ch chan<- prometheus.Metric) {
	served, err := c.models.List(context.Background())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(modelInfoDesc, err)
		return
	}
	for _, s := range served {
		ch <- prometheus.MustNewConstMetric(modelInfoDesc, prometheus.GaugeValue, 1, s.Name, s.Info.Name, s.Info.Version)
		ch <- prometheus.MustNewConstMetric(reloadsDesc, prometheus.CounterValue, float64(s.Reloads), s.Name, "ok")
		ch <- prometheus.MustNewConstMetric(reloadsDesc, prometheus.CounterValue, float64(s.FailedReloads), s.Name, "error")
	}
}

// ServeMetrics serves g's metrics over HTTP at /metrics on addr until the
// returned function is called; a failure to serve is logged.
func ServeMetrics(addr string, g prometheus.Gatherer, log *slog.Logger) (stop func()) {
	ms := &http.Server{Addr: addr, Handler: promhttp.HandlerFor(g, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := ms.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err)
		}
	}()
	return func() { ms.Close() }
}
