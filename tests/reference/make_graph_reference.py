"""Record PyTorch reference figures for cnncalc's graph syntax (named inputs, `from:`,
several outputs).

Run (from the repository root, with a Python that has torch and torchvision):

    python tests/reference/make_graph_reference.py   (with torch 2.14.1 and torchvision 0.29.1)

Generated with torch 2.14.1 and torchvision 0.29.1 on the CPU (the versions are
recorded in the JSON). Writes ``graphs.json`` next to itself, with two parts:

* ``nets``: the three graph examples, each built here in PyTorch the way its
  spec in examples/ reads:

  - ``googlenet``: torchvision's googlenet(aux_logits=True, init_weights=False)
    in train mode, so that its two auxiliary heads (aux1 after inception4a,
    aux2 after inception4d) run: examples/googlenet.yaml;
  - ``unet``: the U-Net of make_reference.py (skips by name): examples/unet.yaml;
  - ``two_input``: an RGB-D classifier with two named inputs, ``image`` and
    ``depth``, a stem each, fused by a channel concat: examples/two_input.yaml.

  For each: the inputs (name -> shape, in order), total / trainable
  parameters, BatchNorm running statistics, conv + dense MACs, every output's
  shape and the parameters and MACs of the modules that output depends on
  (found by autograd: a parameter counts for an output when the output's
  graph reaches it), every conv / transposed conv / dense / pooling module
  call in forward order (module name, type, output shape, params, MACs; the
  aux heads' functional adaptive pooling too, marked "functional"), and
  the receptive field of the main output, measured by back-propagation at the
  last spatial layer that feeds it, once per input.

* ``children``: named_children subtotals (params and MACs per child, in
  registration order) for torchvision's resnet18 (eval mode; also each child's
  own children, layer1.0, layer1.1, ..., under ``grandchildren``) and
  googlenet(aux_logits=True,
  init_weights=False) (train mode, so aux1 and aux2 run and have MACs).

MACs are FlopCounterMode FLOPs / 2 for one sample, conv and linear only, bias
excluded (see make_reference.py, whose helpers this script reuses; its
``count_macs`` refuses any other operator). Per-module MACs are FlopCounterMode's
module breakdown; every conv / linear module here is called exactly once
(asserted). Receptive fields use make_reference.measure_rf unchanged: a
linear, positive float64 copy of the net (constant positive weights, identity
BatchNorm, no ReLU / Dropout, max -> average pooling); size = extent of the
nonzero input gradient of one central output position (summed over channels),
jump = its shift when the output index moves by one, start = field centre of
output index i minus i * jump. For a net with two inputs, the field in one
input is measured with the other input held constant (ones, no gradient).
The U-Net's field is not translation-uniform; its entry lists 33 positions as
in models.json.

The output is deterministic (no random number reaches the JSON; keys sorted,
indent 1; lists that follow an order -- inputs, outputs, layers, children --
are JSON lists). The tests never import torch: they only read this file.
"""

import os
from collections import OrderedDict

import make_reference as ref  # same folder: its helpers, and its U-Net
import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

HERE = os.path.dirname(os.path.abspath(__file__))

MAC_TYPES = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.Linear)
RECORDED_TYPES = MAC_TYPES + (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
                              nn.AdaptiveMaxPool2d)


# --------------------------------------------------------------------------
# The nets
# --------------------------------------------------------------------------

def conv_bn_relu(c_in, c_out, kernel=3, stride=1):
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False)),
        ("bn", nn.BatchNorm2d(c_out)), ("relu", nn.ReLU(inplace=True))]))


class Block(nn.Module):
    """Two 3x3 convs with batch norm; an identity shortcut only where the
    shape is kept (stride 1 and as many channels out as in), then ReLU."""

    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.relu2 = nn.ReLU(inplace=True)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(y + x if self.residual else y)


class TwoInputNet(nn.Module):
    """RGB-D classifier: an RGB stem and a lighter depth stem, fused by a
    channel concat, a 1x1 fuse conv, a max pool, three stages, a linear head."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.rgb_stem = nn.Sequential(conv_bn_relu(3, 32, stride=2), conv_bn_relu(32, 32))
        self.depth_stem = conv_bn_relu(1, 16, stride=2)
        self.fuse = conv_bn_relu(48, 64, kernel=1)
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(Block(64, 64), Block(64, 64))
        self.layer2 = nn.Sequential(Block(64, 128, 2), Block(128, 128))
        self.layer3 = nn.Sequential(Block(128, 256, 2), Block(256, 256))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(256, num_classes)

    def forward(self, image, depth):
        x = torch.cat([self.rgb_stem(image), self.depth_stem(depth)], 1)  # rgb first
        x = self.layer3(self.layer2(self.layer1(self.pool(self.fuse(x)))))
        return self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))


class OneInput(nn.Module):
    """Feeds `net` one input by name, the others constant ones of the same
    side: lets make_reference.measure_rf measure the field in that input."""

    def __init__(self, net, inputs, which):
        super().__init__()
        self.net, self.inputs, self.which = net, inputs, which

    def forward(self, x):
        side = x.shape[2:]
        args = [x if name == self.which else
                torch.ones(1, shape[0], *side, dtype=x.dtype)
                for name, shape in self.inputs.items()]
        return self.net(*args)


def googlenet_aux():
    return torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False,
                                        transform_input=False)


def googlenet_outputs(y):
    # torchvision returns GoogLeNetOutputs(logits, aux_logits2, aux_logits1)
    return OrderedDict([("fc", y.logits), ("aux1", y.aux_logits1), ("aux2", y.aux_logits2)])


# name -> constructor, mode, inputs (name -> shape), outputs (name -> module
# that makes it), how to split the forward's result into them, the layer the
# main output's receptive field is measured at, the RF input side, RF steps.
NETS = OrderedDict([
    ("googlenet", {
        "ctor": googlenet_aux, "mode": "train",
        "inputs": OrderedDict([("input", [3, 224, 224])]),
        "outputs": OrderedDict([("fc", "fc"), ("aux1", "aux1.fc2"), ("aux2", "aux2.fc2")]),
        "split": googlenet_outputs, "rf_layer": "inception5b", "rf_side": 1024, "rf_steps": 2,
        "functional_pools": [("aux1", "F.adaptive_avg_pool2d", "aux1.conv"),
                             ("aux2", "F.adaptive_avg_pool2d", "aux2.conv")]}),
    ("unet", {
        "ctor": ref.UNet, "mode": "eval",
        "inputs": OrderedDict([("input", [3, 256, 256])]),
        "outputs": OrderedDict([("head", "outc")]),
        "split": lambda y: OrderedDict([("head", y)]), "rf_layer": "outc", "rf_side": 384,
        "rf_steps": 33}),
    ("two_input", {
        "ctor": TwoInputNet, "mode": "eval",
        "inputs": OrderedDict([("image", [3, 128, 128]), ("depth", [1, 128, 128])]),
        "outputs": OrderedDict([("fc", "fc")]),
        "split": lambda y: OrderedDict([("fc", y)]), "rf_layer": "layer3", "rf_side": 512,
        "rf_steps": 2}),
])


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------

def flop_breakdown(model, args):
    """Total MACs and MACs per module qualified name ('' = the root)."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(*args)
    counts = counter.get_flop_counts()
    ops = {str(op) for op in counts.get("Global", {})}
    assert ops <= ref.MAC_OPS, f"FlopCounterMode counted unexpected ops: {ops}"
    total = counter.get_total_flops()
    assert total % 2 == 0
    root = type(model).__name__
    per_module = {}
    for key, by_op in counts.items():
        if key == "Global":
            continue
        name = "" if key == root else key[len(root) + 1:]
        per_module[name] = sum(by_op.values()) // 2
    assert per_module.get("", 0) == total // 2
    return total // 2, per_module


def trace(model, args, functional_pools=()):
    """Conv / dense / pooling module calls in forward order. A pooling done
    functionally (torchvision's InceptionAux calls F.adaptive_avg_pool2d) has
    no module to hook: `functional_pools` lists (caller, function, module it
    feeds), and its output is read as that module's input, recorded under the
    caller's name with "functional": true."""
    records, handles = [], []
    for caller, function, consumer in functional_pools:
        def pre_hook(mod, inp, caller=caller, function=function):
            records.append({"name": caller, "type": function, "functional": True,
                            "output_shape": ref.shape_of(inp[0]), "params": 0})
        handles.append(model.get_submodule(consumer).register_forward_pre_hook(pre_hook))
    for name, m in model.named_modules():
        if isinstance(m, RECORDED_TYPES):
            def hook(mod, inp, out, name=name):
                records.append({"name": name, "type": type(mod).__name__,
                                "output_shape": ref.shape_of(out),
                                "params": ref.count_params(mod)})
            handles.append(m.register_forward_hook(hook))
    with torch.no_grad():
        model(*args)
    for h in handles:
        h.remove()
    return records


def describe_net(name, spec):
    torch.manual_seed(0)  # only to make construction repeatable; no value reaches the JSON
    model = spec["ctor"]()
    model.train(spec["mode"] == "train")
    args = [torch.zeros(1, *shape) for shape in spec["inputs"].values()]

    layers = trace(model, args, spec.get("functional_pools", ()))
    macs, per_module = flop_breakdown(model, args)
    mac_names = [r["name"] for r in layers if r["type"] in {t.__name__ for t in MAC_TYPES}]
    assert len(mac_names) == len(set(mac_names)), "a conv/linear module called twice"
    for rec in layers:
        is_mac = rec["name"] in mac_names
        rec["macs"] = per_module.get(rec["name"], 0) if is_mac else None
    assert sum(r["macs"] or 0 for r in layers) == macs

    # What each output depends on: the parameters its autograd graph reaches.
    named = list(model.named_parameters())
    module_of = {id(p): n.rsplit(".", 1)[0] for n, p in named}
    y = spec["split"](model(*args))
    assert list(y) == list(spec["outputs"])
    outputs = []
    for out_name, tensor in y.items():
        grads = torch.autograd.grad(tensor.sum(), [p for _, p in named], allow_unused=True,
                                    retain_graph=True)
        reached = [p for (_, p), g in zip(named, grads) if g is not None]
        reached_modules = {module_of[id(p)] for p in reached}
        outputs.append({
            "name": out_name, "module": spec["outputs"][out_name],
            "shape": ref.shape_of(tensor),
            "params": sum(p.numel() for p in reached),
            "macs": sum(per_module[m] for m in mac_names if m in reached_modules),
        })

    return {
        "mode": spec["mode"],
        "inputs": [{"name": n, "shape": s} for n, s in spec["inputs"].items()],
        "params": ref.count_params(model),
        "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "buffers": ref.count_bn_buffers(model),
        "macs": macs,
        "outputs": outputs,
        "layers": layers,
        "rf": measure_main_rf(spec),
    }


def measure_main_rf(spec):
    """The main output's field at spec's rf_layer, in every input."""
    inputs = spec["inputs"]
    first = next(iter(inputs))
    by_input = OrderedDict()
    for name, shape in inputs.items():
        torch.manual_seed(0)
        net = spec["ctor"]()
        if len(inputs) == 1:
            model, layer = net, spec["rf_layer"]
        else:
            model, layer = OneInput(net, inputs, name), "net." + spec["rf_layer"]
        rf = ref.measure_rf(model, layer, shape[0], spec["rf_side"], spec["rf_steps"])
        rf["layer"] = spec["rf_layer"]
        by_input[name] = rf
    main = dict(by_input[first])
    main["input"] = first
    if len(inputs) > 1:
        main["by_input"] = [dict(rf, input=n) for n, rf in by_input.items()]
    return main


# --------------------------------------------------------------------------
# named_children subtotals
# --------------------------------------------------------------------------

def children_table(model, per_module, prefix=""):
    rows = []
    for child_name, child in model.named_children():
        full = prefix + child_name
        row = {"name": full, "type": type(child).__name__,
               "params": ref.count_params(child), "macs": per_module.get(full, 0)}
        rows.append(row)
    return rows


def describe_children(model, mode, in_shape, depth2=False):
    model.train(mode == "train")
    x = torch.zeros(1, *in_shape)
    macs, per_module = flop_breakdown(model, [x])
    entry = {"mode": mode, "input": list(in_shape), "params": ref.count_params(model),
             "macs": macs, "children": children_table(model, per_module)}
    assert sum(r["params"] for r in entry["children"]) == entry["params"]
    assert sum(r["macs"] for r in entry["children"]) == macs
    if depth2:
        entry["grandchildren"] = [
            row for name, child in model.named_children()
            for row in children_table(child, per_module, name + ".")]
    return entry


def make_children():
    torch.manual_seed(0)
    resnet18 = torchvision.models.resnet18(weights=None)
    torch.manual_seed(0)
    googlenet = googlenet_aux()
    return OrderedDict([
        ("resnet18", describe_children(resnet18, "eval", [3, 224, 224], depth2=True)),
        ("googlenet", describe_children(googlenet, "train", [3, 224, 224])),
    ])


def main():
    torch.set_grad_enabled(True)
    nets = OrderedDict()
    for name, spec in NETS.items():
        print("net", name, flush=True)
        nets[name] = describe_net(name, spec)
    data = {"versions": {"torch": torch.__version__.split("+")[0],
                         "torchvision": torchvision.__version__.split("+")[0]},
            "nets": nets, "children": make_children()}
    ref.write("graphs.json", data)


if __name__ == "__main__":
    main()
