"""Channel adapters: the only modules that know a chat platform. They turn platform events into
`Inbound` and `Reply` into platform messages, and hold no rules of their own."""
