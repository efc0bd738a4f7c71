"""Channel kinds, one package (or small module) each, every one a ChannelClient of
contract.py; docs/adding-a-channel.md describes the layout."""
