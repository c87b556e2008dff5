"""Simulated custom tags: an agency's clients and offers on campaigns and mailboxes, and the
fake `/custom-tags` and `/custom-tag-mappings` endpoints that list them.

A mapping links one tag to one campaign (`resource_id` = the campaign's id) or one mailbox
(`resource_id` = its email: the spec names no account id, UNVERIFIED). `resource_type` follows
the spec's enum descriptions (1 Account, 2 Campaign); its prose says the reverse, so the
pipeline resolves a mapping by its `resource_id` instead. Tags can be renamed and unassigned,
as in the app.
"""

import random
import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

import pendulum
from aiohttp import web
from pendulum import DateTime

from simulator.server import SimulatorState, json_response, page_of

if TYPE_CHECKING:
    from simulator.accounts import AccountsWorkspace
    from simulator.workspace import Workspace

ACCOUNT, CAMPAIGN = 1, 2
LABELS = ("Client: Northwind", "Client: Contoso", "Offer: Audit", "Warm mailboxes")


@dataclass(frozen=True)
class Tag:
    id: str
    label: str
    created: DateTime
    updated: DateTime


@dataclass(frozen=True)
class Mapping:
    id: str
    tag_id: str
    resource_id: str
    resource_type: int
    created: DateTime


def stamp(at: DateTime) -> str:
    return at.format("YYYY-MM-DDTHH:mm:ss.SSS") + "Z"


class TagsWorkspace:
    """Tags of one workspace: each campaign carries one client tag, every third campaign the
    offer tag too (so some carry two); each mailbox its client's tag, every other one the warm
    mailboxes tag too."""

    def __init__(self, organization: str, campaign_ids: Sequence[str], emails: Sequence[str], seed: int = 7,
                 today: Optional[pendulum.Date] = None) -> None:
        self.organization = organization
        day = today or pendulum.now("UTC").date()
        self.created = pendulum.datetime(day.year, day.month, day.day, tz="UTC").subtract(days=40)
        rng = random.Random(f"tags|{seed}")
        self.tags: Dict[str, Tag] = {}
        for n, label in enumerate(LABELS):
            at = self.created.add(minutes=n)
            tag = Tag(str(uuid.UUID(int=rng.getrandbits(128), version=4)), label, at, at)
            self.tags[tag.id] = tag
        clients, offer, warm = list(self.tags)[:2], list(self.tags)[2], list(self.tags)[3]
        links = [(clients[n % 2], cid, CAMPAIGN) for n, cid in enumerate(campaign_ids)]
        links += [(offer, cid, CAMPAIGN) for n, cid in enumerate(campaign_ids) if n % 3 == 0]
        links += [(clients[n % 2], email, ACCOUNT) for n, email in enumerate(emails)]
        links += [(warm, email, ACCOUNT) for n, email in enumerate(emails) if n % 2 == 0]
        self.mappings: Dict[str, Mapping] = {}
        for n, (tag_id, resource_id, kind) in enumerate(links):
            mapping = Mapping(str(uuid.UUID(int=rng.getrandbits(128), version=4)), tag_id, resource_id, kind,
                              self.created.add(hours=1, minutes=n))
            self.mappings[mapping.id] = mapping

    @classmethod
    def of(cls, ws: "Workspace", accounts: Optional["AccountsWorkspace"]) -> "TagsWorkspace":
        """The default tags of a workspace's listed campaigns and mailboxes."""
        emails = [a.email for a in accounts.listed()] if accounts is not None else []
        return cls(ws.id, [c.id for c in ws.campaigns if c.listed], emails, seed=ws.seed, today=ws.today)

    def rename(self, tag_id: str, label: str) -> None:
        tag = self.tags[tag_id]
        self.tags[tag_id] = replace(tag, label=label, updated=tag.updated.add(days=30))

    def unassign(self, mapping_id: str) -> None:
        del self.mappings[mapping_id]

    def tag(self, tag: Tag) -> dict:
        return {"id": tag.id, "timestamp_created": stamp(tag.created), "timestamp_updated": stamp(tag.updated),
                "organization_id": self.organization, "label": tag.label, "description": None}

    def mapping(self, mapping: Mapping) -> dict:
        return {"id": mapping.id, "tag_id": mapping.tag_id, "resource_id": mapping.resource_id,
                "resource_type": mapping.resource_type, "timestamp_created": stamp(mapping.created),
                "organization_id": self.organization}


def add_tag_routes(app: web.Application, tw: TagsWorkspace, state: SimulatorState) -> None:
    """The two list endpoints, with their `resource_ids` (and, for tags, `tag_ids`) filters."""

    def listed(request: web.Request, param: str) -> Optional[List[str]]:
        value = request.query.get(param)
        return value.split(",") if value else None

    async def list_tags(request: web.Request) -> web.Response:
        tag_ids, resource_ids = listed(request, "tag_ids"), listed(request, "resource_ids")
        on_resources = {m.tag_id for m in tw.mappings.values() if resource_ids and m.resource_id in resource_ids}
        items = [tw.tag(t) for t in tw.tags.values()
                 if (tag_ids is None or t.id in tag_ids) and (resource_ids is None or t.id in on_resources)]
        return json_response(page_of(request, items, state.faults))

    async def list_mappings(request: web.Request) -> web.Response:
        resource_ids = listed(request, "resource_ids")
        items = [tw.mapping(m) for m in tw.mappings.values() if resource_ids is None or m.resource_id in resource_ids]
        return json_response(page_of(request, items, state.faults))

    app.router.add_get("/api/v2/custom-tags", list_tags)
    app.router.add_get("/api/v2/custom-tag-mappings", list_mappings)
