"""Every import here tells a different story in a fresh .venv."""

import json  # stdlib: fine
import sys

import requests  # declared, not installed
import yaml  # declared as PyYAML, not installed
from bs4 import BeautifulSoup  # neither declared nor installed; the package is beautifulsoup4

from demo.helpers import shout  # the project's own code: fine

try:
    import ujson  # optional speed-up, guarded: reported as information only
except ImportError:
    ujson = None

if sys.version_info < (3, 11):
    import tomli as tomllib  # never runs on 3.11+, so never reported there
else:
    import tomllib


def main() -> None:
    data = yaml.safe_load("greeting: hello")
    print(shout(json.dumps(data)), requests, BeautifulSoup, ujson, tomllib)
