# Who stands for whom. Every other policy file builds on these predicates.
#
# A person may be represented by a voluntary mandate (granted by the person,
# scoped per afnemer service and action, valid for a period) or by a legal
# measure from the court register (scope follows the measure, DOMAIN.md rule 11).
# A representative is a person, or an office whose staff act for it.
#
# Resources reach a voluntary mandate through its scope rows
# (`scope in x.mandate_scopes`, then `scope.mandate`): oso's data filtering
# follows one "many" relation and then "one" relations, never two "many" steps.

actor PersonActor {}
actor StaffActor {}
actor UnmatchedEidasActor {}
actor AfnemerActor {}
actor RegisterActor {}
actor OperatorActor {}

# The actor is the representative named by a mandate or measure.
stands_for(actor: PersonActor, person_id, _office_id) if
  person_id = actor.person_id;
stands_for(actor: StaffActor, _person_id, office_id) if
  office_id = actor.office_id;

# A voluntary mandate counts from valid_from up to (not including) valid_until,
# and only once accepted; requested, revoked, expired and declined ones never count.
mandate_in_force(mandate, at) if
  mandate.status = "active" and
  mandate.valid_from <= at and
  at < mandate.valid_until;

# A legal measure counts from its start until its end, or open-ended.
measure_in_force(measure, at) if
  measure.starts_at <= at and
  (measure.ends_at = nil or (measure.ends_at != nil and at < measure.ends_at));

# Which service categories each measure covers (DOMAIN.md rule 11).
measure_covers("curatele", "financial");
measure_covers("curatele", "personal_care");
measure_covers("curatele", "other");
measure_covers("beschermingsbewind", "financial");
measure_covers("faillissement", "financial");
measure_covers("wsnp", "financial");
measure_covers("mentorschap", "personal_care");

# The personal-data section: only curatele and mentorschap reach it by law;
# a voluntary mandate only when read_personal_data was granted.
measure_covers_personal_data("curatele");
measure_covers_personal_data("mentorschap");

# Full representation: the measure covers the whole account, not only services.
measure_is_full("curatele");

# Through this scope row the actor holds a voluntary mandate in force; the scope did not lapse.
scope_in_force(actor, scope) if
  scope.lapsed_by_measure_id = nil and
  mandate = scope.mandate and
  mandate_in_force(mandate, actor.at) and
  stands_for(actor, mandate.representative_person_id, mandate.representative_office_id);

# The actor is the legal representative under a measure in force.
legal_representative(actor, measure) if
  measure_in_force(measure, actor.at) and
  stands_for(actor, measure.representative_person_id, measure.representative_office_id);

# The actor is the legal representative and the measure covers this category.
legal_cover(actor, measure, category: String) if
  legal_representative(actor, measure) and
  measure_covers(measure.kind, category);

# An office divides its clients among its staff as soon as its administrator assigns one
# (Office.assigns_clients, carried by the StaffActor as ``office_divides_clients``). Until
# then every employee acts for all of the office's clients; from then on an employee acts for
# the clients assigned to them, an administrator for all of them. Only acting for a client is
# divided: the office itself stays the representative (the afnemer's question in
# 40_afnemer_api, and the mandates and measures it holds in 20_mandates).
office_lets(_actor: PersonActor, _client);
office_lets(actor: StaffActor, _client) if
  actor.office_divides_clients = false;
office_lets(actor: StaffActor, _client) if
  actor.is_admin = true;
office_lets(actor: StaffActor, client) if
  assignment in client.staff_assignments and
  assignment.staff_id = actor.staff_id;

# Acting for the client through a scope row in force, as the office lets the actor.
acts_by_scope(actor, scope, client) if
  scope_in_force(actor, scope) and
  office_lets(actor, client);

# Acting for the client under a measure in force, as the office lets the actor.
acts_under_measure(actor, measure, client) if
  legal_representative(actor, measure) and
  office_lets(actor, client);

# ... and the measure covers this category.
acts_with_cover(actor, measure, category: String, client) if
  legal_cover(actor, measure, category) and
  office_lets(actor, client);

allow(actor, action, resource) if
  has_permission(actor, action, resource);
