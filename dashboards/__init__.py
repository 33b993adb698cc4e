"""The planners' Dash dashboard: ``dashboards.app.create_app`` builds it, ``arsenal serve``
serves it. Importing the package stays light (the report imports ``reports.figures``)."""
