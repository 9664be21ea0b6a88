"""The service menu per client group and the checks of how well services are targeted
(seed 000 part 5; docs/groups.md)."""

from polku.menu.menu import Entry, Menu, load_menu
from polku.menu.targeting import menu_tables

__all__ = ["Entry", "Menu", "load_menu", "menu_tables"]
