"""glassnet.utils.hooks.RemovableHandle is the handle register_*_hook returns."""

import glassnet as gn
from glassnet.utils.hooks import RemovableHandle


def test_removable_handle_is_the_module_hook_handle():
    lin = gn.nn.Linear(2, 2)
    h = lin.register_forward_hook(lambda m, i, o: None)
    assert isinstance(h, RemovableHandle)
    h.remove()
