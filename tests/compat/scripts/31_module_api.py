"""The nn.Module API a tutorial touches: print(model), add_module, get_submodule,
parameters(recurse), named_* with prefixes, requires_grad_, zero_grad, to()/double() return self,
deleting attributes."""
import json

import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Dropout(p=0.25), nn.Flatten())
        self.classifier = nn.Linear(8 * 4 * 4, 10)
        self.act = nn.LeakyReLU(0.1)
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def forward(self, x):
        return self.classifier(self.act(self.features(x)))


model = Net()
res = {"repr": repr(model).splitlines()}
res["small_reprs"] = [repr(nn.Linear(3, 4, bias=False)), repr(nn.Conv2d(1, 2, (3, 5), dilation=2)),
                      repr(nn.BatchNorm1d(5, affine=False)), repr(nn.LayerNorm(4)),
                      repr(nn.Dropout()), repr(nn.LSTM(3, 4, num_layers=2, batch_first=True)),
                      repr(nn.GRU(3, 4, bidirectional=True)),
                      repr(nn.Embedding(10, 3, padding_idx=0)),
                      repr(nn.CrossEntropyLoss()), repr(nn.Softmax(dim=1)), repr(nn.Identity()),
                      repr(nn.AdaptiveAvgPool2d((1, 1))),
                      repr(nn.ModuleList([nn.ReLU(), nn.Tanh()]))]
res["named_params"] = [n for n, _ in model.named_parameters()]
res["prefixed"] = [n for n, _ in model.features.named_parameters(prefix="f")]
res["recurse_false"] = [n for n, _ in model.named_parameters(recurse=False)]
res["buffers"] = [n for n, _ in model.named_buffers()]
res["modules"] = [n for n, _ in model.named_modules()]
res["children"] = [n for n, _ in model.named_children()]
res["submodule"] = type(model.get_submodule("features.1")).__name__
res["get_parameter"] = list(model.get_parameter("classifier.weight").shape)
model.add_module("head2", nn.Linear(10, 2))
model.register_parameter("temperature", nn.Parameter(torch.ones(1)))
res["after_add"] = [n for n, _ in model.named_parameters()][-3:]
del model.head2
res["after_del"] = hasattr(model, "head2") or any(n.startswith("head2")
                                                   for n, _ in model.named_parameters())
res["to_returns_self"] = [model.to("cpu") is model, model.train() is model, model.eval() is model,
                          model.requires_grad_(False) is model, model.float() is model]
res["all_frozen"] = not any(p.requires_grad for p in model.parameters())
model.requires_grad_(True)
model.train()
x = torch.ones(2, 3, 16, 16)
model.eval()
model(x).sum().backward()
res["grads_exist"] = all(p.grad is not None for n, p in model.named_parameters()
                         if n != "temperature")
model.zero_grad()
res["zero_grad_none"] = all(p.grad is None for p in model.parameters())
res["state_dict_keys"] = list(model.state_dict().keys())
res["sd_prefix"] = list(model.classifier.state_dict(prefix="head.").keys())
res["num_params"] = sum(p.numel() for p in model.parameters())
res["dtype_after_double"] = model.double().classifier.weight.dtype == torch.float64
res["buffer_dtype_kept"] = model.steps.dtype == torch.long
res["training_flags"] = [model.training, model.features[4].training]
res["sequential_slice_type"] = type(model.features[:2]).__name__
res["len_iter"] = [len(model.features), len(list(model.features)),
                   [type(m).__name__ for m in model.features][-1]]
res["isinstance"] = [isinstance(model, nn.Module), isinstance(model.features, nn.Sequential),
                     isinstance(model.classifier.weight, torch.Tensor)]
print(json.dumps(res))
