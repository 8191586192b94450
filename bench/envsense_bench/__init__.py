"""Benchmark harness for envsense and its peers (issue 6); entry point: `bash bench/run.sh`."""
