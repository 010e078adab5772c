"""The one service layer that the CLI, the REST API and the SDK all call."""
