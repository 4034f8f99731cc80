from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubetrace.tracing.plugins.filter.version_policy import FilterModule
from ansible_collections.kubetrace.tracing.plugins.module_utils import _version_policy as policy

FILTERS = FilterModule().filters()


def test_every_policy_question_is_a_filter():
    public = {name for name in dir(policy) if not name.startswith('_') and callable(getattr(policy, name))
              and getattr(policy, name).__module__ == policy.__name__ and name[0].islower()}
    assert public - {'parse_version'} == set(FILTERS)


def test_filters_answer_like_the_policy():
    assert FILTERS['tracing_config_api_version']('1.30.2') == 'apiserver.config.k8s.io/v1beta1'
    assert FILTERS['tracing_feature_gates']('kubelet', '1.26.0') == {'KubeletTracing': True}


def test_policy_errors_become_filter_errors():
    with pytest.raises(AnsibleFilterError, match='came in 1.6.0'):
        FILTERS['containerd_tracing_mechanisms']('1.5.0')
