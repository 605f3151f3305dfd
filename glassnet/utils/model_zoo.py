"""``torch.utils.model_zoo``: ``load_url``, the older name of
``glassnet.hub.load_state_dict_from_url`` (weights read from the hub folder as safetensors;
nothing is downloaded)."""

from glassnet.hub import load_state_dict_from_url as load_url

__all__ = ["load_url"]
