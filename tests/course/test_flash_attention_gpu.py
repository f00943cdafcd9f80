"""The Triton parts of the FlashAttention reference, compiled for a GPU (skipped, saying why, without one).

Without a GPU the hidden tests run the same kernels under Triton's interpreter (see
``test_reference_solutions``); these tests add the compiled path, bfloat16 and larger N.
"""

from __future__ import annotations

import pytest
import torch

from conftest import REPO_ROOT, call_with_namespace, reference_namespace
from hidden import hidden_test_functions

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA GPU here: the compiled Triton kernels were not run"
)

NOTEBOOK = REPO_ROOT / "solutions" / "flash_attention" / "flash_attention.ipynb"


@pytest.fixture(scope="module")
def reference():
    namespace = reference_namespace(NOTEBOOK)
    import flash_lab  # the helper module the notebook imported, from solutions/flash_attention

    assert flash_lab.GPU and not flash_lab.INTERPRETED, "with a GPU, the kernels must compile, not be interpreted"
    return namespace


@pytest.mark.parametrize("test_name", ["test_flash_attention_triton", "test_flash_attention_triton_backward"])
def test_triton_reference_compiled_on_gpu(reference, test_name):
    """Do the reference kernels pass their hidden tests compiled, with the GPU-only cases (bf16, N > 1000)?"""
    call_with_namespace(hidden_test_functions("flash_attention")[test_name], reference)


def test_triton_forward_takes_cuda_tensors(reference):
    """Does the forward kernel accept tensors already on the GPU and return them there?"""
    q, k, v = torch.randn(3, 1, 2, 300, 64, device="cuda", dtype=torch.bfloat16).unbind(0)
    o, lse = reference["flash_attention_triton"](q, k, v, causal=True)
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert o.is_cuda and lse.is_cuda
    assert torch.allclose(o.float(), expected.float(), atol=2e-2)
