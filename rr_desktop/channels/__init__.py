"""One module per channel kind; each implements channels.base.ChannelClient."""
