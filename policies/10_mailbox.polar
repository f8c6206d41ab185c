# The mailbox: messages, folders, the account and its consents.

resource Message {
  permissions = ["see", "read", "manage_folders", "receive_notifications",
                 "view_status", "view_read_state"];
}

# A message decided "paper" is a delivery record, not post in the mailbox.
in_mailbox(message: Message) if
  message.channel != "paper";

# The owner reads, files and is notified of all of their own post.
has_permission(actor: PersonActor, action: String, message: Message) if
  action in ["read", "manage_folders", "receive_notifications"] and
  in_mailbox(message) and
  message.person_id = actor.person_id;

# A voluntary representative, for exactly the services and actions granted.
has_permission(actor: Actor, action: String, message: Message) if
  action in ["read", "manage_folders", "receive_notifications"] and
  in_mailbox(message) and
  scope in message.mandate_scopes and
  scope.service_id = message.service_id and
  scope.action = action and
  acts_by_scope(actor, scope, message);

# A legal representative, for the categories the measure covers.
has_permission(actor: Actor, action: String, message: Message) if
  action in ["read", "manage_folders", "receive_notifications"] and
  in_mailbox(message) and
  measure in message.measures and
  service = message.service and
  acts_with_cover(actor, measure, service.category, message);

# The afnemer that delivered it follows its delivery status, and nothing of anyone else's.
has_permission(actor: AfnemerActor, "view_status", message: Message) if
  message.afnemer_id = actor.afnemer_id;

# Whether it was read only with a configured legal basis or the person's consent (rule 8).
has_permission(actor: AfnemerActor, "view_read_state", message: Message) if
  message.afnemer_id = actor.afnemer_id and
  afnemer = message.afnemer and
  afnemer.read_state_legal_basis = true;
has_permission(actor: AfnemerActor, "view_read_state", message: Message) if
  message.afnemer_id = actor.afnemer_id and
  consent in message.consents and
  consent.afnemer_id = message.afnemer_id and
  consent.share_read_state = true;

has_permission(actor: Actor, "see", message: Message) if
  has_permission(actor, "read", message);
has_permission(actor: AfnemerActor, "see", message: Message) if
  has_permission(actor, "view_status", message);


resource Folder {
  permissions = ["see", "manage"];
}

has_permission(actor: PersonActor, "manage", folder: Folder) if
  folder.person_id = actor.person_id;
has_permission(actor: Actor, "manage", folder: Folder) if
  scope in folder.mandate_scopes and
  scope.action = "manage_folders" and
  acts_by_scope(actor, scope, folder);
has_permission(actor: Actor, "manage", folder: Folder) if
  measure in folder.measures and
  acts_under_measure(actor, measure, folder) and
  measure_is_full(measure.kind);
has_permission(actor: Actor, "see", folder: Folder) if
  has_permission(actor, "manage", folder);


resource Account {
  permissions = ["see", "read", "activate", "deactivate", "manage_settings", "read_audit"];
}

# Only the person, or a curator (full representation), runs the account itself.
account_holder(actor: PersonActor, account: Account) if
  account.person_id = actor.person_id;
account_holder(actor, account: Account) if
  measure in account.measures and
  acts_under_measure(actor, measure, account) and
  measure_is_full(measure.kind);

has_permission(actor: Actor, action: String, account: Account) if
  action in ["read", "activate", "deactivate", "manage_settings"] and
  account_holder(actor, account);

# Everyone who may act for the person sees that the account exists and its state.
has_permission(actor: Actor, "read", account: Account) if
  scope in account.mandate_scopes and
  acts_by_scope(actor, scope, account);
has_permission(actor: Actor, "read", account: Account) if
  measure in account.measures and
  acts_under_measure(actor, measure, account);

# The audit trail ("who did what on my account") is the person's own, always, also under a
# measure: it is how they check their representatives. A curator (curatele: full
# representation, the account holder in law, who exercises the person's right of access for
# them) may read it too. Nobody else: a bewindvoerder or mentor acts within a scope, and the
# trail also shows acts outside it (other services, other representatives); a voluntary
# representative never sees it.
has_permission(actor: PersonActor, "read_audit", account: Account) if
  account.person_id = actor.person_id;
has_permission(actor: Actor, "read_audit", account: Account) if
  measure in account.measures and
  acts_under_measure(actor, measure, account) and
  measure_is_full(measure.kind);

has_permission(actor: Actor, "see", account: Account) if
  has_permission(actor, "read", account);


resource Consent {
  permissions = ["see", "change", "share_read_state"];
}

# Letting an afnemer see whether its messages were read (rule 8: "the postman does not look in
# your letterbox") is the person's own privacy choice: the person, or a curator (full
# representation, the account holder in law). Not a voluntary representative, even one who
# manages the person's consents, nor a bewindvoerder or mentor: their scope is the post, not
# what the person lets others know about reading it.
has_permission(actor: PersonActor, "share_read_state", consent: Consent) if
  consent.person_id = actor.person_id;
has_permission(actor: Actor, "share_read_state", consent: Consent) if
  measure in consent.measures and
  acts_under_measure(actor, measure, consent) and
  measure_is_full(measure.kind);

has_permission(actor: PersonActor, "change", consent: Consent) if
  consent.person_id = actor.person_id;
# A representative changes an organisation's tick only when every one of its services lies
# within their scope: one tick decides about all of that organisation's post, and they must
# not decide about post they may not see (a municipality also sends Wmo care post to someone
# whose bewind is financial). Each service is covered by a scope row for "manage_consents" or
# by a measure that covers its category; an organisation without services is nobody's to tick.
consent_service_within(actor, consent: Consent, service: Service) if
  scope in consent.mandate_scopes and
  scope.action = "manage_consents" and
  scope.service_id = service.id and
  acts_by_scope(actor, scope, consent);
consent_service_within(actor, consent: Consent, service: Service) if
  measure in consent.measures and
  acts_with_cover(actor, measure, service.category, consent);

has_permission(actor: Actor, "change", consent: Consent) if
  _any in consent.afnemer_services and
  forall(service in consent.afnemer_services,
         consent_service_within(actor, consent, service));
has_permission(actor: Actor, "see", consent: Consent) if
  has_permission(actor, "change", consent);
has_permission(actor: Actor, "see", consent: Consent) if
  has_permission(actor, "share_read_state", consent);
