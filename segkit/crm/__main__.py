"""``python -m segkit.crm data/crm``: regenerate the bundled sample CRM."""

from ._sample import main

main()
