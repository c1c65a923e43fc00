// Entry point. Kept apart from the command types so the test target can import them.
CkptMPICommand.mainReportingOneLineErrors()
