"""hooks mutants: torch with one realistic bug each in the hooks area (see mutants/catalog.py).

Most call-protocol mutants share :func:`_call_impl_with`, a copy of torch 2.13's
``Module._call_impl`` (tracing and compile branches and the old backward hooks left out) that differs
from torch only in the branch selected by ``bug`` (each marked ``bug:``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import torch
import torch.nn.modules.module as tm
from torch.utils.hooks import BackwardHook

from mutants.catalog import mutant, torch_namespace


def _call_impl_with(bug: str) -> Callable[..., Any]:
    def _call_impl(self: Any, *args: Any, **kwargs: Any) -> Any:
        forward_call = self.forward
        if not (
            self._backward_hooks
            or self._backward_pre_hooks
            or self._forward_hooks
            or self._forward_pre_hooks
            or tm._global_backward_pre_hooks
            or tm._global_backward_hooks
            or tm._global_forward_hooks
            or tm._global_forward_pre_hooks
        ):
            return forward_call(*args, **kwargs)

        result = None
        called_always_called_hooks: set[int] = set()

        def order(global_items: Any, local_items: Any) -> tuple[Any, ...]:
            if bug == "global-after-local":
                return (*local_items, *global_items)  # bug: module hooks first
            return (*global_items, *local_items)

        def inner() -> Any:
            nonlocal result, args, kwargs
            full_backward_hooks: list[Any] = []
            backward_pre_hooks: list[Any] = []
            if self._backward_pre_hooks or tm._global_backward_pre_hooks:
                backward_pre_hooks = self._get_backward_pre_hooks()
            if self._backward_hooks or tm._global_backward_hooks:
                full_backward_hooks, _ = self._get_backward_hooks()
            if bug == "bwd-grad-input-ignored":
                # bug: the full backward hooks' returned grad_input is dropped
                full_backward_hooks = [
                    lambda m, gi, go, h=h: (h(m, gi, go), None)[1] for h in full_backward_hooks
                ]
            if bug == "bwd-pre-return-ignored":
                # bug: the backward pre-hooks' returned grad_output is dropped
                backward_pre_hooks = [lambda m, go, h=h: (h(m, go), None)[1] for h in backward_pre_hooks]

            for hook_id, hook in order(tm._global_forward_pre_hooks.items(), self._forward_pre_hooks.items()):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    args_kwargs_result = hook(self, args, kwargs)
                    if args_kwargs_result is not None and bug != "pre-kwargs-return-ignored":
                        if isinstance(args_kwargs_result, tuple) and len(args_kwargs_result) == 2:
                            args, kwargs = args_kwargs_result
                        else:
                            raise RuntimeError(
                                "forward pre-hook must return None or a tuple "
                                f"of (new_args, new_kwargs), but got {args_kwargs_result}."
                            )
                else:
                    args_result = hook(self, args)
                    if args_result is not None:
                        if not isinstance(args_result, tuple) and bug != "pre-not-wrapped":
                            args_result = (args_result,)
                        if bug == "pre-not-wrapped" and not isinstance(args_result, tuple):
                            args_result = tuple(
                                args_result
                            )  # bug: iterates the tensor instead of wrapping it
                        args = args_result

            bw_hook = None
            if full_backward_hooks or backward_pre_hooks:
                bw_hook = BackwardHook(self, full_backward_hooks, backward_pre_hooks)
                args = bw_hook.setup_input_hook(args)

            result = forward_call(*args, **kwargs)
            for hook_id, hook in order(tm._global_forward_hooks.items(), self._forward_hooks.items()):
                always = (
                    hook_id in self._forward_hooks_always_called
                    or hook_id in tm._global_forward_hooks_always_called
                )
                if always and bug != "always-call-twice":  # bug (always-call-twice): never marked as run
                    called_always_called_hooks.add(hook_id)
                if (
                    hook_id in self._forward_hooks_with_kwargs
                    or hook_id in tm._global_forward_hooks_with_kwargs
                ):
                    passed = {} if bug == "fwd-kwargs-empty" else kwargs  # bug: kwargs not handed on
                    hook_result = hook(self, args, passed, result)
                else:
                    hook_result = hook(self, args, result)
                if hook_result is not None and bug != "fwd-return-ignored":
                    result = hook_result

            if bw_hook:
                result = bw_hook.setup_output_hook(result)
            return result

        try:
            return inner()
        except Exception:
            if bug == "always-call-skipped":
                raise  # bug: always_call hooks are not run on an exception
            for hook_id, hook in tm._global_forward_hooks.items():
                if (
                    hook_id in tm._global_forward_hooks_always_called
                    and hook_id not in called_always_called_hooks
                ):
                    try:
                        hook_result = hook(self, args, result)
                        if hook_result is not None:
                            result = hook_result
                    except Exception as e:
                        warnings.warn(f"global always_call hook raised: {e}", stacklevel=2)
                        continue
            for hook_id, hook in self._forward_hooks.items():
                if hook_id in self._forward_hooks_always_called and hook_id not in called_always_called_hooks:
                    try:
                        if hook_id in self._forward_hooks_with_kwargs:
                            hook_result = hook(self, args, kwargs, result)
                        else:
                            hook_result = hook(self, args, result)
                        if hook_result is not None:
                            result = hook_result
                    except Exception as e:
                        if bug == "always-call-error-replaces":
                            raise  # bug: the hook's own error replaces the original exception
                        warnings.warn(f"always_call hook raised: {e}", stacklevel=2)
                        continue
            raise

    return _call_impl


def _call_bug(bug: str) -> SimpleNamespace:
    class Module(torch.nn.Module):
        _call_impl = _call_impl_with(bug)

    return torch_namespace(Module=Module)


@mutant("hook-global-after-local", "hooks", "global forward (pre-)hooks run after the module's own hooks")
def _global_after_local() -> SimpleNamespace:
    return _call_bug("global-after-local")


@mutant(
    "hook-pre-not-wrapped",
    "hooks",
    "a forward pre-hook's non-tuple return is iterated, not wrapped in a 1-tuple",
)
def _pre_not_wrapped() -> SimpleNamespace:
    return _call_bug("pre-not-wrapped")


@mutant(
    "hook-pre-kwargs-return-ignored", "hooks", "a with_kwargs pre-hook's (args, kwargs) return is ignored"
)
def _pre_kwargs_return_ignored() -> SimpleNamespace:
    return _call_bug("pre-kwargs-return-ignored")


@mutant("hook-fwd-return-ignored", "hooks", "a forward hook's non-None return does not replace the output")
def _fwd_return_ignored() -> SimpleNamespace:
    return _call_bug("fwd-return-ignored")


@mutant("hook-fwd-kwargs-empty", "hooks", "with_kwargs forward hooks receive an empty kwargs dict")
def _fwd_kwargs_empty() -> SimpleNamespace:
    return _call_bug("fwd-kwargs-empty")


@mutant(
    "hook-always-call-skipped", "hooks", "always_call forward hooks do not run when forward or a hook raises"
)
def _always_call_skipped() -> SimpleNamespace:
    return _call_bug("always-call-skipped")


@mutant(
    "hook-always-call-twice",
    "hooks",
    "an always_call hook that already ran runs again after a later hook raises",
)
def _always_call_twice() -> SimpleNamespace:
    return _call_bug("always-call-twice")


@mutant(
    "hook-always-call-error-replaces",
    "hooks",
    "an always_call hook's own error replaces the original exception instead of becoming a warning",
)
def _always_call_error_replaces() -> SimpleNamespace:
    return _call_bug("always-call-error-replaces")


@mutant("hook-bwd-grad-input-ignored", "hooks", "a full backward hook's returned grad_input is ignored")
def _bwd_grad_input_ignored() -> SimpleNamespace:
    return _call_bug("bwd-grad-input-ignored")


@mutant("hook-bwd-pre-return-ignored", "hooks", "a backward pre-hook's returned grad_output is ignored")
def _bwd_pre_return_ignored() -> SimpleNamespace:
    return _call_bug("bwd-pre-return-ignored")


@mutant("hook-fwd-prepend-ignored", "hooks", "register_forward_hook ignores prepend=True and appends")
def _prepend_ignored() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def register_forward_hook(
            self, hook: Any, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
        ) -> Any:
            # bug: prepend is dropped
            return super().register_forward_hook(
                hook, prepend=False, with_kwargs=with_kwargs, always_call=always_call
            )

    return torch_namespace(Module=Module)


@mutant("hook-bwd-prepend-ignored", "hooks", "register_full_backward_hook ignores prepend=True and appends")
def _bwd_prepend_ignored() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def register_full_backward_hook(self, hook: Any, prepend: bool = False) -> Any:
            return super().register_full_backward_hook(hook, prepend=False)  # bug: prepend dropped

    return torch_namespace(Module=Module)


@mutant(
    "hook-handle-leaves-kwargs",
    "hooks",
    "a forward hook's handle does not know the with_kwargs table, so remove() leaves that entry behind",
)
def _handle_leaves_kwargs() -> SimpleNamespace:
    from torch.utils.hooks import RemovableHandle

    class Module(torch.nn.Module):
        def register_forward_hook(
            self, hook: Any, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
        ) -> Any:
            # bug: extra_dict lacks _forward_hooks_with_kwargs
            handle = RemovableHandle(self._forward_hooks, extra_dict=[self._forward_hooks_always_called])
            self._forward_hooks[handle.id] = hook
            if with_kwargs:
                self._forward_hooks_with_kwargs[handle.id] = True
            if always_call:
                self._forward_hooks_always_called[handle.id] = True
            if prepend:
                self._forward_hooks.move_to_end(handle.id, last=False)
            return handle

    return torch_namespace(Module=Module)


@mutant(
    "hook-reg-param-return-ignored",
    "hooks",
    "the value a parameter registration hook returns is not stored in place of the parameter",
)
def _reg_param_return_ignored() -> SimpleNamespace:
    def register_module_parameter_registration_hook(hook: Any) -> Any:
        # bug: the hook's return is dropped
        return torch.nn.modules.module.register_module_parameter_registration_hook(
            lambda m, n, p: (hook(m, n, p), None)[1]
        )

    return torch_namespace(
        register_module_parameter_registration_hook=register_module_parameter_registration_hook
    )


@mutant("hook-reg-buffer-none-skipped", "hooks", "buffer registration hooks are not run for a None buffer")
def _reg_buffer_none_skipped() -> SimpleNamespace:
    def register_module_buffer_registration_hook(hook: Any) -> Any:
        return torch.nn.modules.module.register_module_buffer_registration_hook(
            lambda m, n, t: None if t is None else hook(m, n, t)  # bug: skipped for None
        )

    return torch_namespace(register_module_buffer_registration_hook=register_module_buffer_registration_hook)


@mutant("hook-sd-pre-keep-vars-dropped", "hooks", "state_dict pre-hooks always receive keep_vars=False")
def _sd_pre_keep_vars_dropped() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def register_state_dict_pre_hook(self, hook: Any) -> Any:
            return super().register_state_dict_pre_hook(lambda m, p, kv: hook(m, p, False))  # bug

    return torch_namespace(Module=Module)


@mutant(
    "hook-load-post-keys-copied",
    "hooks",
    "load_state_dict post-hooks get a copy of the incompatible keys, so their in-place edits are lost",
)
def _load_post_keys_copied() -> SimpleNamespace:
    class Module(torch.nn.Module):
        def register_load_state_dict_post_hook(self, hook: Any) -> Any:
            def wrapped(module: Any, keys: Any) -> Any:
                # bug: a copy instead of the keys load_state_dict goes on to check
                return hook(module, type(keys)(list(keys.missing_keys), list(keys.unexpected_keys)))

            return super().register_load_state_dict_post_hook(wrapped)

    return torch_namespace(Module=Module)
