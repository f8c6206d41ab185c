# Mandates, legal measures, and people as clients of a representative.

resource Mandate {
  permissions = ["see", "read", "create", "accept", "decline", "revoke", "act_under"];
}

# Who grants mandates in their own name (the pages "who can act for me" and "grant"): a
# person. An office's employees only request mandates, for their office.
grants_mandates(_actor: PersonActor);

mandate_represented(actor: PersonActor, mandate: Mandate) if
  mandate.represented_person_id = actor.person_id;
mandate_representative(actor, mandate: Mandate) if
  stands_for(actor, mandate.representative_person_id, mandate.representative_office_id);

has_permission(actor: Actor, "read", mandate: Mandate) if
  mandate_represented(actor, mandate);
has_permission(actor: Actor, "read", mandate: Mandate) if
  mandate_representative(actor, mandate);

# A new mandate is granted by the represented person (never while under curatele,
# 002 §5.1) or requested by the representative, for themselves or their own office.
has_permission(actor: PersonActor, "create", mandate: Mandate) if
  mandate.initiated_by = "represented" and
  mandate_represented(actor, mandate) and
  not subject_under_curatele(mandate, actor.at);
has_permission(actor: Actor, "create", mandate: Mandate) if
  mandate.initiated_by = "representative" and
  mandate_representative(actor, mandate);

# An afnemer sees the mandates that name one of its own services.
has_permission(actor: AfnemerActor, "read", mandate: Mandate) if
  scope in mandate.scopes and
  scope.service_id != nil and
  service = scope.service and
  service.afnemer_id = actor.afnemer_id;

# A request is answered by the other side: the representative accepts a grant,
# the represented person accepts a request (and cannot while under curatele).
has_permission(actor: Actor, action: String, mandate: Mandate) if
  action in ["accept", "decline"] and
  mandate.status = "requested" and
  mandate.initiated_by = "represented" and
  mandate_representative(actor, mandate);
has_permission(actor: Actor, "decline", mandate: Mandate) if
  mandate.status = "requested" and
  mandate.initiated_by = "representative" and
  mandate_represented(actor, mandate);
has_permission(actor: Actor, "accept", mandate: Mandate) if
  mandate.status = "requested" and
  mandate.initiated_by = "representative" and
  mandate_represented(actor, mandate) and
  not subject_under_curatele(mandate, actor.at);

subject_under_curatele(mandate, at) if
  measure in mandate.subject_measures and
  measure.kind = "curatele" and
  measure_in_force(measure, at);

# Either side may end it at any time (rule 10).
has_permission(actor: Actor, "revoke", mandate: Mandate) if
  mandate.status in ["requested", "active"] and
  mandate_represented(actor, mandate);
has_permission(actor: Actor, "revoke", mandate: Mandate) if
  mandate.status in ["requested", "active"] and
  mandate_representative(actor, mandate);

has_permission(actor: Actor, "see", mandate: Mandate) if
  has_permission(actor, "read", mandate);

# The bases the actor acts on for a client today (the caseload shows them): a mandate in
# force with a scope row that did not lapse, as the office lets the actor.
has_permission(actor: Actor, "act_under", mandate: Mandate) if
  mandate_in_force(mandate, actor.at) and
  mandate_representative(actor, mandate) and
  scope in mandate.scopes and
  scope.lapsed_by_measure_id = nil and
  office_lets(actor, mandate);


resource LegalMeasure {
  permissions = ["see", "read", "act_under"];
}

# A measure in force under which the actor acts for its subject, as the office lets the actor.
has_permission(actor: Actor, "act_under", measure: LegalMeasure) if
  acts_under_measure(actor, measure, measure);

has_permission(actor: PersonActor, "read", measure: LegalMeasure) if
  measure.subject_person_id = actor.person_id;
has_permission(actor: Actor, "read", measure: LegalMeasure) if
  stands_for(actor, measure.representative_person_id, measure.representative_office_id);
# The curatele and bewind register is public; afnemers need it to answer who may act.
has_permission(_actor: AfnemerActor, "read", _measure: LegalMeasure);
has_permission(_actor: RegisterActor, "read", _measure: LegalMeasure);
has_permission(actor: Actor, "see", measure: LegalMeasure) if
  has_permission(actor, "read", measure);


resource Person {
  permissions = ["see", "read", "act_for", "read_personal_data"];
}

# A client: someone the actor may act for today, by mandate or by measure.
has_permission(actor: Actor, "act_for", person: Person) if
  scope in person.mandate_scopes and
  acts_by_scope(actor, scope, person);
has_permission(actor: Actor, "act_for", person: Person) if
  measure in person.measures and
  acts_under_measure(actor, measure, person);

has_permission(actor: PersonActor, action: String, person: Person) if
  action in ["read", "read_personal_data"] and
  person.id = actor.person_id;
has_permission(actor: Actor, "read", person: Person) if
  has_permission(actor, "act_for", person);

# Personal data is outside every mandate unless granted (rule 13).
has_permission(actor: Actor, "read_personal_data", person: Person) if
  scope in person.mandate_scopes and
  scope.action = "read_personal_data" and
  acts_by_scope(actor, scope, person);
has_permission(actor: Actor, "read_personal_data", person: Person) if
  measure in person.measures and
  acts_under_measure(actor, measure, person) and
  measure_covers_personal_data(measure.kind);

has_permission(actor: Actor, "see", person: Person) if
  has_permission(actor, "read", person);
