import sys

from sciml.cli import main

sys.exit(main())
