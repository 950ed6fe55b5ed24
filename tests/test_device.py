"""The one device setting: names checked, ``auto`` resolved CUDA, then MPS,
then the CPU, a device named but absent refused, the precision of each,
and the input planes on the device: on the CPU exactly what they were."""

import numpy as np
import pytest
import torch

from nets.config import NetworkConfig
from nets.device import DeviceError, announce, bf16_supported, check_device, resolve_device
from nets.model import planes_to_tensor


def test_device_names_are_checked_where_the_config_is_built():
    for name in ("auto", "cpu", "cuda", "cuda:0", "cuda:12", "mps"):
        assert check_device(name) == name
        assert NetworkConfig(device=name).device == name
    for bad in ("gpu", "cuda:", "cuda:x", "CPU", "cpu:0", ""):
        with pytest.raises(DeviceError, match="must be auto, cpu, cuda, cuda:N or mps"):
            NetworkConfig(device=bad)


def test_the_cpu_computes_in_bf16_exactly_where_it_has_native_bf16_unless_told():
    cpu = resolve_device("cpu")
    assert cpu.type == "cpu" and not cpu.accelerated
    assert cpu.precision == ("bf16" if bf16_supported() else "fp32")
    assert resolve_device("cpu", bf16=False).precision == "fp32"
    assert resolve_device("cpu", bf16=True).precision == "bf16"
    assert not resolve_device("cpu").grad_scaler().is_enabled()


def test_auto_takes_cuda_then_mps_then_the_cpu():
    mps = getattr(torch.backends, "mps", None)
    expected = ("cuda" if torch.cuda.is_available()
                else "mps" if mps is not None and mps.is_available() else "cpu")
    assert resolve_device("auto").type == expected


def test_a_device_named_but_absent_is_an_error_not_the_cpu():
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="no CUDA GPU here"):
            resolve_device("cuda")
    else:
        with pytest.raises(DeviceError, match="numbered from 0"):
            resolve_device(f"cuda:{torch.cuda.device_count()}")
    mps = getattr(torch.backends, "mps", None)
    if not (mps is not None and mps.is_available()):
        with pytest.raises(DeviceError, match="MPS is not available"):
            resolve_device("mps")


def test_planes_on_the_cpu_are_the_tensor_they_always_were():
    planes = (np.random.default_rng(3).random((5, 48, 19, 19)) < 0.3).astype(np.uint8)
    cpu = resolve_device("cpu")
    for channels_last in (True, False):
        x = cpu.planes(planes, channels_last)
        ref = planes_to_tensor(planes, channels_last)
        assert torch.equal(x, ref) and x.stride() == ref.stride() and x.dtype == torch.float32


def test_the_device_and_precision_are_said_once(capsys):
    cpu = resolve_device("cpu", bf16=False)
    assert announce(cpu, "test-device") is cpu
    announce(cpu, "test-device")
    err = capsys.readouterr().err.splitlines()
    assert err == [f"test-device: device cpu ({cpu.hardware}), fp32"]


@pytest.mark.cuda
def test_a_cuda_gpu_computes_in_bf16_where_it_has_it_else_fp16_and_gets_the_same_planes():
    gpu = resolve_device("cuda")
    assert gpu.accelerated and gpu.torch.index == 0
    assert gpu.precision == ("bf16" if torch.cuda.is_bf16_supported() else "fp16")
    assert resolve_device("cuda", bf16=False).precision == "fp16"
    assert resolve_device("cuda", bf16=False).grad_scaler().is_enabled()
    planes = (np.random.default_rng(4).random((7, 49, 9, 9)) < 0.5).astype(np.uint8)
    x = gpu.planes(planes)
    assert x.device.type == "cuda" and x.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(x.cpu(), planes_to_tensor(planes))


@pytest.mark.mps
def test_mps_computes_in_fp16_and_gets_the_same_planes():
    gpu = resolve_device("mps")
    assert gpu.accelerated and gpu.precision == "fp16"
    planes = (np.random.default_rng(4).random((7, 49, 9, 9)) < 0.5).astype(np.uint8)
    assert torch.equal(gpu.planes(planes).cpu(), planes_to_tensor(planes))
