"""Record PyTorch reference figures for the four examples of issue 9 item 3.

Run (from the repository root, with a Python that has torch):

    python tests/reference/make_example_reference.py   (with torch 2.14.1)

Generated with torch 2.14.1 on the CPU (the version is recorded in the JSON). Writes
``examples9.json`` next to itself: for each net, built here in PyTorch the way its spec in
examples/ reads,

* ``unet_original``: Ronneberger, Fischer & Brox 2015, Figure 1: 572x572x1 input, unpadded
  3x3 convs with ReLU (no batch norm), 2x2 max pools, 2x2 up-convs (transposed conv stride
  2) halving the channels, the encoder map centre-cropped to the up-conv's size and
  concatenated before it (torch.cat([skip, up])), a 1x1 conv to 2 classes: 388x388x2;
  examples/unet_original.yaml;
* ``segnet``: Badrinarayanan, Kendall & Cipolla 2017: the 13 conv layers of VGG-16 with
  batch norm (conv bias kept, as the Caffe SegNet and torchvision's vgg16_bn), 2x2 max pools
  that return their argmax, a mirrored decoder that max-unpools by those indices (output
  size = the pool's input size, so 45 -> 22 -> 45 round trips), 3x3 convs with batch norm
  and ReLU, and a last 3x3 conv to 12 classes (logits: the soft-max belongs to the loss);
  360x480x3 (CamVid); examples/segnet.yaml;
* ``espcn``: Shi et al. 2016: 5x5 conv 64, tanh, 3x3 conv 32, tanh, 3x3 conv r^2 = 9,
  PixelShuffle(3), convs padded to keep the size: 1x85x85 -> 1x255x255;
  examples/espcn.yaml;
* ``cyclegan_generator``: Zhu et al. 2017, the ``resnet_9blocks`` ResnetGenerator of
  junyanz/pytorch-CycleGAN-and-pix2pix (models/networks.py), with its default norm
  InstanceNorm2d(affine=False, track_running_stats=False), so use_bias=True, and no dropout:
  ReflectionPad2d(3), 7x7 conv 64, 2 stride-2 3x3 convs, 9 residual blocks (reflect pad 1,
  3x3 conv, norm, ReLU, reflect pad 1, 3x3 conv, norm; x + block(x), no ReLU after the
  add), 2 ConvTranspose2d(3, stride 2, padding 1, output_padding 1), ReflectionPad2d(3), 7x7
  conv to 3, tanh: 3x256x256; examples/cyclegan_generator.yaml.

Per net, at the full input size: the input shape, ``params`` (sum of parameters()),
``trainable_params``, ``buffers`` (running_mean + running_var; num_batches_tracked not
counted; instance norm here keeps none), ``macs`` (FlopCounterMode FLOPs / 2 for one sample,
conv and transposed conv only, bias excluded: make_reference.count_macs, which refuses any
other operator; max unpooling, pixel shuffle, padding and norms count 0) and
``output_shape``; ``layers``: every leaf-module call in forward order with its name, type,
output shape (no batch axis; a max pool returning indices: its values' shape), params and,
for convs, MACs. ``reduced``: the same net at a small input size that ``cnncalc run
--backward`` runs quickly (``size``: the --input-size argument, H,W), with the input shape,
output shape and the leaf-module calls (name, type, output shape), in the form of
make_executor_reference.py's ``__examples__`` entries.

The output is deterministic (no random number reaches the JSON; keys sorted, indent 1).
The tests never import torch: they only read this file.
"""

import json
import os
import sys
from collections import OrderedDict

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import count_bn_buffers, count_macs, count_params

HERE = os.path.dirname(os.path.abspath(__file__))


# --------------------------------------------------------------------------
# The four nets
# --------------------------------------------------------------------------

class CenterCrop(nn.Module):
    """Crop a skip map, centred, to the height and width of the map it joins."""

    def forward(self, skip, like):
        dh = skip.shape[2] - like.shape[2]
        dw = skip.shape[3] - like.shape[3]
        assert dh >= 0 and dw >= 0 and dh % 2 == 0 and dw % 2 == 0, (skip.shape, like.shape)
        return skip[:, :, dh // 2: skip.shape[2] - dh // 2, dw // 2: skip.shape[3] - dw // 2]


def valid_double_conv(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3), nn.ReLU(inplace=True),
                         nn.Conv2d(c_out, c_out, 3), nn.ReLU(inplace=True))


class UNetOriginal(nn.Module):
    """The U-Net of Ronneberger et al.'s Figure 1: valid convs, cropped skips."""

    def __init__(self, in_ch=1, n_classes=2):
        super().__init__()
        widths = [64, 128, 256, 512, 1024]
        self.enc1 = valid_double_conv(in_ch, 64)
        self.pool1, self.enc2 = nn.MaxPool2d(2), valid_double_conv(64, 128)
        self.pool2, self.enc3 = nn.MaxPool2d(2), valid_double_conv(128, 256)
        self.pool3, self.enc4 = nn.MaxPool2d(2), valid_double_conv(256, 512)
        self.pool4, self.enc5 = nn.MaxPool2d(2), valid_double_conv(512, 1024)
        ups, crops, decs = [], [], []
        for c in reversed(widths[1:]):   # 1024 -> 512, ..., 128 -> 64
            ups.append(nn.ConvTranspose2d(c, c // 2, 2, stride=2))
            crops.append(CenterCrop())
            decs.append(valid_double_conv(c, c // 2))
        self.up1, self.up2, self.up3, self.up4 = ups
        self.crop1, self.crop2, self.crop3, self.crop4 = crops
        self.dec1, self.dec2, self.dec3, self.dec4 = decs
        self.head = nn.Conv2d(64, n_classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool1(e1))
        e3 = self.enc3(self.pool2(e2))
        e4 = self.enc4(self.pool3(e3))
        y = self.enc5(self.pool4(e4))
        for up, crop, dec, skip in ((self.up1, self.crop1, self.dec1, e4),
                                    (self.up2, self.crop2, self.dec2, e3),
                                    (self.up3, self.crop3, self.dec3, e2),
                                    (self.up4, self.crop4, self.dec4, e1)):
            u = up(y)
            y = dec(torch.cat([crop(skip, u), u], 1))
        return self.head(y)


def conv_bn_relu(c_in, c_out):
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class SegNet(nn.Module):
    """SegNet: the VGG-16 encoder (13 convs, batch norm), pooling indices reused by the
    mirrored decoder's max unpooling; logits for `n_classes` classes."""

    ENCODER = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
    DECODER = ((512, 512, 512), (512, 512, 256), (256, 256, 128), (128, 64), (64,))

    def __init__(self, in_ch=3, n_classes=12):
        super().__init__()
        c = in_ch
        for i, widths in enumerate(self.ENCODER, 1):
            layers = []
            for w in widths:
                layers += conv_bn_relu(c, w)
                c = w
            setattr(self, f"enc{i}", nn.Sequential(*layers))
            setattr(self, f"pool{i}", nn.MaxPool2d(2, 2, return_indices=True))
        for i, widths in zip(range(5, 0, -1), self.DECODER):
            setattr(self, f"unpool{i}", nn.MaxUnpool2d(2, 2))
            layers = []
            for w in widths:
                layers += conv_bn_relu(c, w)
                c = w
            if i == 1:  # the classifier: a 3x3 conv to the classes, no norm, no ReLU
                layers.append(nn.Conv2d(c, n_classes, 3, padding=1))
            setattr(self, f"dec{i}", nn.Sequential(*layers))

    def forward(self, x):
        indices, sizes = {}, {}
        for i in range(1, 6):
            x = getattr(self, f"enc{i}")(x)
            sizes[i] = x.shape
            x, indices[i] = getattr(self, f"pool{i}")(x)
        for i in range(5, 0, -1):
            x = getattr(self, f"unpool{i}")(x, indices[i], output_size=sizes[i])
            x = getattr(self, f"dec{i}")(x)
        return x


class ESPCN(nn.Module):
    """ESPCN: two tanh feature layers, a conv to r^2 * C channels, PixelShuffle(r)."""

    def __init__(self, channels=1, r=3):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 64, 5, padding=2)
        self.act1 = nn.Tanh()
        self.conv2 = nn.Conv2d(64, 32, 3, padding=1)
        self.act2 = nn.Tanh()
        self.conv3 = nn.Conv2d(32, channels * r * r, 3, padding=1)
        self.shuffle = nn.PixelShuffle(r)

    def forward(self, x):
        return self.shuffle(self.conv3(self.act2(self.conv2(self.act1(self.conv1(x))))))


def instance_norm(c):
    return nn.InstanceNorm2d(c, affine=False, track_running_stats=False)


class ResnetBlock(nn.Module):
    """x + (reflect pad 1, conv 3x3, norm, ReLU, reflect pad 1, conv 3x3, norm)(x)."""

    def __init__(self, dim):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=True), instance_norm(dim),
            nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=True), instance_norm(dim))

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """CycleGAN's resnet_9blocks generator (ngf 64, instance norm, no dropout)."""

    def __init__(self, input_nc=3, output_nc=3, ngf=64, n_blocks=9):
        super().__init__()
        model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7, bias=True),
                 instance_norm(ngf), nn.ReLU(True)]
        for i in range(2):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=True),
                      instance_norm(ngf * mult * 2), nn.ReLU(True)]
        model += [ResnetBlock(ngf * 4) for _ in range(n_blocks)]
        for i in range(2):
            mult = 2 ** (2 - i)
            model += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1,
                                         output_padding=1, bias=True),
                      instance_norm(ngf * mult // 2), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)


# name -> (constructor, full input shape, reduced spatial size [H, W])
NETS = OrderedDict([
    ("unet_original", (UNetOriginal, [1, 572, 572], [188, 188])),  # the smallest: 4x4 out
    ("segnet", (SegNet, [3, 360, 480], [40, 48])),   # odd sizes on the way: 5 -> 2 -> 5
    ("espcn", (ESPCN, [1, 85, 85], [17, 17])),       # the paper's 17x17 LR training patch
    ("cyclegan_generator", (ResnetGenerator, [3, 256, 256], [32, 32])),
])


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------

def first_tensor(out):
    return out[0] if isinstance(out, tuple) else out  # MaxPool2d(return_indices=True)


def leaf_trace(model, x):
    """Every leaf-module call in forward order: name, type, output shape, params."""
    records, handles = [], []
    for name, m in model.named_modules():
        if len(list(m.children())) == 0:
            def hook(mod, inp, out, name=name):
                records.append({"name": name, "type": type(mod).__name__,
                                "output_shape": list(first_tensor(out).shape[1:]),
                                "params": count_params(mod)})
            handles.append(m.register_forward_hook(hook))
    with torch.no_grad():
        y = model(x)
    for h in handles:
        h.remove()
    return records, y


MAC_TYPES = ("Conv2d", "ConvTranspose2d", "Linear")


def describe(name, ctor, in_shape, reduced):
    torch.manual_seed(0)  # only to make construction repeatable; no value reaches the JSON
    model = ctor().eval()
    x = torch.zeros(1, *in_shape)
    layers, y = leaf_trace(model, x)
    with torch.no_grad():
        macs, per_module = count_macs(model, x)
    prefix = type(model).__name__ + "."
    calls = {}
    for rec in layers:
        calls[rec["name"]] = calls.get(rec["name"], 0) + 1
        rec["macs"] = per_module.get(prefix + rec["name"], 0) if rec["type"] in MAC_TYPES \
            else None
    assert all(n == 1 for n in calls.values()), "a module called twice: per-call MACs unknown"
    assert sum(r["macs"] or 0 for r in layers) == macs
    return {"input": list(in_shape), "params": count_params(model),
            "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "buffers": count_bn_buffers(model), "macs": macs,
            "output_shape": list(y.shape[1:]), "layers": layers,
            "reduced": reduced_entry(model, [in_shape[0], *reduced])}


def reduced_entry(model, shape):
    """The net at the reduced input `shape` (batch 2, as `cnncalc run` in the tests), in the
    form of make_executor_reference.py's ``__examples__`` entries; ``size`` is the
    --input-size argument."""
    layers, y = leaf_trace(model, torch.zeros(2, *shape))
    return {"size": ",".join(str(s) for s in shape[1:]), "input": list(shape),
            "output_shape": list(y.shape[1:]),
            "layers": [{k: r[k] for k in ("name", "type", "output_shape")} for r in layers]}


def main():
    data = {"torch": torch.__version__.split("+")[0],
            "nets": {name: describe(name, *spec) for name, spec in NETS.items()}}
    path = os.path.join(HERE, "examples9.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    for name, net in data["nets"].items():
        print(f"{name}: params {net['params']:,} buffers {net['buffers']:,} "
              f"MACs {net['macs']:,} output {net['output_shape']} "
              f"reduced {net['reduced']['size']} -> {net['reduced']['output_shape']}")
    print("wrote", path)


if __name__ == "__main__":
    main()
