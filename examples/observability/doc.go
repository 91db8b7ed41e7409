// Package observability holds no code: its directory is the Prometheus and
// Grafana material for reconcile (prometheus.yml, alerts.yml with its unit
// test alerts_test.yml, grafana-dashboard.json), and its test checks them:
// promtool accepts the rules and the configuration, the rules' unit test
// passes, the dashboard is a Grafana dashboard, and every reconcile_ metric
// they name is one the controller or an agent exports.
package observability
