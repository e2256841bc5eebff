"""The ontology layer: enterprise ontology, rdflib loader and Neo4j allow-lists.

The lowest layer of kgrag (``service -> graph -> ontology``); it also hosts the
error tree in :mod:`ontology.errors`. Nothing is cached here: the caller keeps
the :class:`Ontology` it loaded.
"""

from ontology.loader import load_ontology
from ontology.model import Individual, Ontology, OntologyClass, OntologyRelation

__all__ = ["Individual", "Ontology", "OntologyClass", "OntologyRelation", "load_ontology"]
