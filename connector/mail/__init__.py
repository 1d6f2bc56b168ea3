"""Direct mail: the consent-aware mailroom, the opt-out links, sending postcard batches through Lob."""
