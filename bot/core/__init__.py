"""The path of a message: conversation, engine, commands, inbox, notify, outbound."""
