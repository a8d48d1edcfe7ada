"""Small helpers shared by Canvass's apps (surveys, accounts, api): no models, no views."""
