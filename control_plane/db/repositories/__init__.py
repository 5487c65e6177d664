"""All SQL lives in these repositories; services and edges never build queries."""

from control_plane.db.repositories.companies import CompanyRepository, CredentialRepository
from control_plane.db.repositories.integrations import IntegrationRepository
from control_plane.db.repositories.jobs import JobRepository
from control_plane.db.repositories.mappings import MappingRepository

__all__ = ["CompanyRepository", "CredentialRepository", "IntegrationRepository", "JobRepository", "MappingRepository"]
