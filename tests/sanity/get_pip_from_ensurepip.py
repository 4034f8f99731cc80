"""Stand-in for ansible-test's pip bootstrap script, whose download site is not reachable from every machine.

ansible-test runs this file as ``get-pip.py`` with pip's install arguments. It bootstraps pip from the
standard library's bundled wheel (ensurepip, no network), then lets that pip install what was asked,
from the package index the machine is configured for.
"""

import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = ('--no-setuptools', '--no-wheel')

# ensurepip points PIP_CONFIG_FILE at /dev/null for its own run; the install that follows must see the
# machine's pip configuration (index, certificates) again.
environment = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install']
                         + [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY], env=environment))
