"""The service graph: building it from the catalog (build, attrs), reachability (reach), rules and structure checks."""

from .attrs import LIST_SEPARATOR, attr_list, encode_list, omitted_relations
from .build import CONTRACT_PAIR_LIMIT, DEFAULT_RELATIONS, RELATIONS, build_graph, parse_relations, relation_view
from .reach import (
    ancestor_bits_of,
    ancestor_bitsets,
    ancestor_sets,
    blast_radius_all,
    decode_bits,
    random_dependency_graph,
)
from .rules import (
    DEPLOY_RELATIONS,
    GENERIC_DOMAIN_WORDS,
    ForbiddenPattern,
    allowed_externals,
    builtin_alias_notes,
    builtin_alias_uses,
    builtin_aliases,
    canonical_external,
    domain_layers,
    forbidden_patterns,
    wave_rule,
    word_matches,
)
from .structure import StructureReport, domain_matrix, structure_checks

__all__ = [
    "CONTRACT_PAIR_LIMIT",
    "DEFAULT_RELATIONS",
    "DEPLOY_RELATIONS",
    "GENERIC_DOMAIN_WORDS",
    "LIST_SEPARATOR",
    "RELATIONS",
    "ForbiddenPattern",
    "StructureReport",
    "allowed_externals",
    "ancestor_bits_of",
    "ancestor_bitsets",
    "ancestor_sets",
    "attr_list",
    "blast_radius_all",
    "build_graph",
    "builtin_alias_notes",
    "builtin_alias_uses",
    "builtin_aliases",
    "canonical_external",
    "decode_bits",
    "domain_layers",
    "domain_matrix",
    "encode_list",
    "forbidden_patterns",
    "omitted_relations",
    "parse_relations",
    "random_dependency_graph",
    "relation_view",
    "structure_checks",
    "wave_rule",
    "word_matches",
]
