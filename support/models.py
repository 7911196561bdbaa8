# Support: the online chat with operators and the look-up of a request by its number (issue 9, 11).
